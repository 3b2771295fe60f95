"""The few custom signals through which `surveys` tells the rest of the world what happened.

`surveys` never imports `loops`; `loops` connects receivers to these. All are
sent after the transaction that caused them has committed, with ids only.

- response_saved(response_id: int, created: bool): a response was recorded or edited.
- response_analysed(response_id: int): text analytics stored a (new) verdict for a response.
- invitation_bounced(invitation_id: int): an invitation's email bounced or drew a complaint.
"""

from django.dispatch import Signal

response_saved = Signal()
response_analysed = Signal()
invitation_bounced = Signal()
