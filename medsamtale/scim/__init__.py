"""SCIM 2.0 provisioning from the directory (Entra ID): /scim/v2/Users and Groups with an HR-issued
bearer token."""
