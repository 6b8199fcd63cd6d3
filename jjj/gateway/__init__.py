"""Generated from proto/ by tools/genproto.py; do not edit."""
