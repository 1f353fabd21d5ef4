"""The privacy statement everyone can read, made from the settings in force."""
