"""The hostile-input corpus every surface is fed: script and markup, SQL-looking strings, control,
right-to-left and combining characters, spreadsheet formulas. NUL is kept apart: PostgreSQL cannot
store it, so every surface must refuse it with a message (a 400 or a form error), never a 500."""

XSS = [
    "<script>alert('xss-script')</script>",
    "<img src=x onerror=\"alert('xss-img')\">",
    "<a href=\"javascript:alert('xss-link')\">click me</a>",
    '"><svg onload=alert("xss-svg")>',
    '<iframe src="https://evil.example/"></iframe>',
    '<link rel=stylesheet href="file:///etc/passwd">',
]
SQL = ["'; DROP TABLE surveys_response; --", "1' OR '1'='1", "\\'; SELECT pg_sleep(10); --"]
TEMPLATE = ["{{ request.user.password }}", "{% debug %}", "${7*7}"]
UNICODE = [
    "ring\x07bell and \x1b[31mred\x1b[0m escape",
    "invoice \u202egnp.exe attached",  # right-to-left override
    "Z\u0334\u0321\u031ba\u0336l\u0337g\u0338o\u0335 text",  # combining marks
    "emoji 😡🔥 and CJK 服务很差",
]
FORMULAS = ['=HYPERLINK("http://evil.example","click")', "+SUM(A1:A9)", "-2+3", "@SUM(1)", "\t=1+1", "\r=1+1"]
CORPUS = XSS + SQL + TEMPLATE + UNICODE + FORMULAS
NUL = "before\x00after"
