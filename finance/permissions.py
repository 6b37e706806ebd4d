"""Permission rules of the tuition ledger.

Ledger entries follow the row rules of their enrollment: who may view an
enrollment may view its entries (with the ledger's view permission), nobody
else. No rule writes them: ``finance.ledger`` does.
"""

from kingadmin.permissions import inherit_scope

inherit_scope("finance.ledgerentry", through="enrollment")
