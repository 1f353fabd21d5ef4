"""Local mail you can see, for development: the mail catcher scripts/start runs
(`catcher`, an aiosmtpd server writing each message it receives to a folder as an .eml
file) and the pages that list and show those messages (`/dev/mail`), which exist only while
that catcher is the configured mail server and never behind HTTPS (`mailbox.catching`)."""
