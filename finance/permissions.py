"""Permission rules of the tuition ledger.

Ledger entries and contract terms follow the row rules of their enrollment:
who may view an enrollment may view them (with their view permission),
nobody else. No rule writes them: ``finance.ledger`` and
``finance.services`` do. Refund policies are the administrators'.
"""

from kingadmin.permissions import inherit_scope

inherit_scope("finance.ledgerentry", through="enrollment")
inherit_scope("finance.contractterms", through="enrollment")
