"""OpenID Connect sign-in (Authlib): the provider's button on the log-in page, the callback,
linking accounts, log-out at the provider."""
