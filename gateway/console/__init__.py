"""The operators' monitoring console (Starlette on uvicorn), served by the gateway process."""
