"""`python -m medsamtale.sealing new`: print a new master key for ENCRYPTION_KEY (it needs no
app, so a first start can make its key before anything else)."""

import sys

from .keys import new_master_key

if __name__ == "__main__":
    if sys.argv[1:] != ["new"]:
        sys.exit("usage: python -m medsamtale.sealing new")
    print(new_master_key())
