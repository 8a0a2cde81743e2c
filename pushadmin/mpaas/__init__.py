"""Client side of the Alibaba Cloud mPaaS Message Push server API (no Django here)."""
