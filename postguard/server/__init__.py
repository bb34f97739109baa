"""The local pre-check page and JSON API (`postguard serve`).

    from postguard.server import create_app
    app = create_app(policy=None, token=None)   # a FastAPI app; run it with uvicorn
"""

from postguard.server.app import Limits, create_app

__all__ = ["Limits", "create_app"]
