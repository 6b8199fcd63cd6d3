"""The conformance kit (jjj conformance run): YAML scenarios, the runner that plays the members, the report."""
