"""newsdesk: a self-hosted news desk that merges many outlets' articles into sourced stories."""

from newsdesk.desk import Desk, open_desk
from newsdesk.errors import NewsdeskError

__all__ = ["Desk", "NewsdeskError", "open_desk"]
__version__ = "0.1.0"
