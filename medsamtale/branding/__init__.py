"""The organisation's look on every page: its logo and accent colour (set by the HR admin
on the organisation page, kept on models.people.Organisation), served at addresses that
name their version, so a browser keeps them until they change."""
