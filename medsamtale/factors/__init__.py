"""Second factors for local accounts: TOTP with recovery codes, passkeys (WebAuthn), and HR's reset
of a person's factors."""
