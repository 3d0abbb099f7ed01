"""Record a generation pipeline in a GenLedger ledger (`genledger serve`, docs/API.md).

    from genledger import Client, PolicyDenied
    client = Client("http://127.0.0.1:8080", token=os.environ["GENLEDGER_TOKEN"])
"""

from .client import Appended, Client, Event, stream_of
from .errors import (Conflict, Forbidden, GenLedgerError, InvalidEvent, NotFound, PolicyDenied, Unauthenticated,
                     Unavailable)
from .generation import Generation, GenerationFailure, sha256_of

__all__ = [
    "Appended", "Client", "Conflict", "Event", "Forbidden", "GenLedgerError", "Generation", "GenerationFailure",
    "InvalidEvent", "NotFound", "PolicyDenied", "Unauthenticated", "Unavailable", "sha256_of", "stream_of",
]
__version__ = "0.1.0"
