"""What demo customers write, by score band and topic. Written for this demo: no real people or companies."""

from __future__ import annotations

from surveys.models import Band

D, P, PR = Band.DETRACTOR.value, Band.PASSIVE.value, Band.PROMOTER.value

COMMENTS: dict[str, dict[str, list[str]]] = {
    D: {
        "support": [
            "Waited THREE days for a first reply on a P1 ticket. Not acceptable for what we pay.",
            "The agent closed my ticket without fixing anything. not helpful at all",
            "Had to explain the same problem to four different people. Nobody read the ticket history.",
            "Support keeps sending links to help articles that don't answer the question 😡",
        ],
        "billing": [
            "We were charged twice in March and it took six weeks to get the refund.",
            "Invoices STILL show our old address after three requests to change it.",
            "Billing added seats we never asked for. Very frustrating to have to chase credit notes.",
            "Still havent recieved the credit note we were promised.",
        ],
        "onboarding": [
            "Onboarding was a mess. The kick-off got rescheduled twice and we lost a month.",
            "Nobody told us we needed admin rights for the data import, we found out on go-live day.",
            "The kick-off was good. After that, nothing. We had to chase every next step ourselves. "
            "The project plan was never updated once.",
            "We're 6 weeks in and still not live. Not what sales promised.",
        ],
        "bugs": [
            "The export has been broken for two weeks and there is no workaround.",
            "Every release breaks something. This month the filters, last month the date picker.",
            "Data disapeared from a dashboard after the update. We lost trust in the numbers.",
            "Same bug reported in January, still open. Really?",
        ],
        "integrations": [
            "The CRM sync drops records silently. We only noticed when our reps complained.",
            "API rate limits are far too low for our volume and nobody can tell us when that changes.",
            "SSO setup took weeks and the documentation was wrong.",
            "Webhook deliveries fail randomly and there is no retry log. Not usable in production.",
        ],
        "account_manager": [
            "We haven't heard from our account manager since the contract was signed.",
            "Our account manager changed three times this year. Each time we start from scratch.",
            "We only get calls when it's time to upsell. Nobody asks how we are actually doing.",
            "Asked for a business review twice, no reply.",
        ],
        "pricing": [
            "Price went up 18% at renewal with no new value. We are evaluating alternatives.",
            "Too expensive for what we actually use.",
            "Paying for modules we can't switch off is ridiculous.",
            "The pricing page, the quote and the invoice all say different things.",
        ],
        "outages": [
            "Second outage this month, during our busiest hour. The team couldn't work for half a day.",
            "The status page said everything was fine while nothing loaded. That's worse than the outage.",
            "We had a customer demo at 10am and the platform was down. I had to apologise to our client. "
            "This is the second time this quarter. If it happens again we will look at other options.",
            "DOWN again this morning!!",
        ],
        "docs": [
            "Documentation is outdated, half the screenshots don't match the product anymore.",
            "Couldn't find anything in the help centre, search is useless.",
            "The API docs are missing examples for exactly the endpoints we need.",
        ],
        "training": [
            "The training sessions were far too basic for our admins.",
            "Training was cancelled last minute and never rescheduled.",
            "The trainer couldn't answer any of our questions about permissions.",
        ],
        "mobile": [
            "The mobile app logs me out every day. Useless in the field.",
            "App crashes when uploading photos. Our technicians have given up on it.",
            "mobile app is so slow its basically unusable on 4g",
        ],
        "reporting": [
            "Reports take forever to load and often time out.",
            "We can't get the numbers our board asks for without exporting everything to spreadsheets.",
            "Dashboards show different totals than the exports. Which one is right??",
        ],
        "renewal": [
            "The renewal was painful: three versions of the contract and a late invoice.",
            "Nobody contacted us about the renewal until two days before the deadline.",
            "The renewal paperwork asked for information we had already provided. Twice.",
        ],
        "product": [
            "The new UI is confusing, my team can't find anything since the redesign.",
            "Features we asked for a year ago are still not on the roadmap.",
            "Honestly considering switching. Too many small problems add up.",
            "Not happy. Nothing works the way we were shown in the demo.",
            "Disappointed.",
        ],
    },
    P: {
        "support": [
            "Got there in the end, but it took a few back-and-forths before someone understood the issue.",
            "Friendly agent, slow resolution.",
            "The fix works but I still don't know what caused it. A short root cause note would help.",
            "Took alot of emails untill it was solved, but the outcome was good.",
        ],
        "billing": [
            "Billing issue sorted, but the invoice portal is confusing.",
            "Would be nice to get invoices per cost centre instead of one big PDF.",
            "The refund arrived eventually. Communication in between was poor.",
        ],
        "onboarding": [
            "Onboarding was ok, a bit too much information in the first week.",
            "Good kick-off, but the handover to support felt abrupt.",
            "We went live on time but had to figure out the user roles on our own.",
        ],
        "bugs": [
            "A few annoying bugs but nothing that stops us working.",
            "The bug was fixed but it took a couple of releases.",
            "Search is sometimes slow and occasionally returns nothing, otherwise fine.",
        ],
        "integrations": [
            "The ERP connector works but the field mapping is clunky.",
            "The integration does what it says, but we'd like more control over the sync frequency.",
            "API is decent, the error messages could be more helpful.",
        ],
        "account_manager": [
            "Our account manager is nice but not very proactive.",
            "Regular check-ins are good, follow-ups on action items are slow.",
            "Would like our account manager to know our use case better.",
        ],
        "pricing": [
            "Good product but pricing is on the high side compared to others.",
            "Pricing is fair, the per-seat model just doesn't suit us well.",
            "Would love a cheaper tier for our occasional users.",
        ],
        "outages": [
            "The outage was handled ok, but the incident report came late.",
            "Uptime has been better lately, still a bit nervous after the summer incident.",
            "Communication during the incident was good, the resolution took too long.",
        ],
        "docs": [
            "Docs are ok for the basics but thin on advanced configuration.",
            "The help centre is useful, more video walkthroughs would be nice.",
            "Found the answer eventually, it was buried in a forum thread.",
        ],
        "training": [
            "Training was fine, but a recording would help for people who missed it.",
            "Good content, a bit rushed at the end.",
            "Useful sessions, though we'd like something for power users too.",
        ],
        "mobile": [
            "The mobile app covers the basics, but we miss an offline mode.",
            "The app is ok, the tablet layout needs work.",
            "Good that there is an app, but notifications arrive late.",
        ],
        "reporting": [
            "Reporting is decent but the custom report builder has a learning curve.",
            "Scheduled reports would make this a 10.",
            "Nice dashboards, but we need more filters by region.",
        ],
        "renewal": [
            "Renewal was fine, the paperwork could be simpler.",
            "Renewing took longer than expected because legal review was slow on both sides.",
            "OK process, but we'd like the renewal terms earlier to plan our budget.",
        ],
        "product": [
            "Solid product, a few rough edges.",
            "Does the job. Not much more, not much less.",
            "Good overall, the recent changes are a step in the right direction.",
            "It's fine",
            "ok",
        ],
    },
    PR: {
        "support": [
            "Quick, clear, and the agent actually followed up the next day to check. Great job!",
            "Fixed within the hour 👍",
            "Really appreciated that the engineer jumped on a call instead of emailing back and forth.",
            "Best support experience we've had with any vendor this year.",
        ],
        "billing": [
            "The billing team fixed the VAT error the same day. Thanks!",
            "Invoices are clear and always on time, no complaints.",
            "Super easy to move us to annual billing.",
        ],
        "onboarding": [
            "Smoothest onboarding we've done with a software vendor. Clear plan, clear owners.",
            "Our implementation specialist was fantastic: patient with our team and very knowledgeable.",
            "Live in two weeks, exactly as planned 🙂",
            "The templates and sample data saved us days of setup.",
        ],
        "bugs": [
            "Reported a bug on Monday, the fix was in production on Wednesday. Impressive.",
            "Very stable product, we rarely see issues.",
            "Thanks for the quick hotfix!",
        ],
        "integrations": [
            "The API is well designed and the docs are excellent. Our developers were happy.",
            "Connected our helpdesk in 10 minutes, worked first time.",
            "Love the new webhook retries, exactly what we needed.",
        ],
        "account_manager": [
            "Our account manager is brilliant, always responsive and genuinely understands our business.",
            "The quarterly reviews are really useful, we always leave with concrete next steps.",
            "Our account manager set up a session with your product team about our requests. Two of them "
            "are already live. That's the kind of partnership we were hoping for. Thank you.",
            "Great relationship with the account team. Feels like a partnership.",
        ],
        "pricing": [
            "Worth every penny.",
            "Fair price for the value we get, the ROI was obvious within a quarter.",
            "The new bundle pricing made it much easier to get budget approved.",
        ],
        "outages": [
            "Performance has been rock solid this quarter.",
            "Even during the incident you kept us informed every 30 minutes. Much appreciated.",
            "No downtime since we moved to the new region, great work.",
        ],
        "docs": [
            "The help centre is excellent, I almost never need to contact support.",
            "Clear docs with good examples. Thank you!",
            "The new getting-started guide is great for new hires.",
        ],
        "training": [
            "The admin training was excellent, our team is now self-sufficient.",
            "Loved the hands-on workshop, much better than slides.",
            "The certification was a nice touch, the team is motivated 🙏",
        ],
        "mobile": [
            "The new mobile app is a huge improvement, our field team loves it.",
            "Offline mode works great on site visits.",
            "Fast and simple app. Exactly what we needed.",
        ],
        "reporting": [
            "The new dashboards are fantastic, management finally looks at the data.",
            "Scheduled reports save me hours every week.",
            "Reporting is the main reason we chose you and it keeps getting better.",
        ],
        "renewal": [
            "Renewal was quick and painless, signed in a day.",
            "Appreciated the early heads-up and the clear renewal proposal.",
            "Easiest renewal we've done this year.",
        ],
        "product": [
            "Great product, the team uses it every day.",
            "Love it! Made our whole process so much easier 😀",
            "Intuitive, reliable, and the team behind it really listens.",
            "Definately recommend to other teams.",
            "Great!",
        ],
    },
}
