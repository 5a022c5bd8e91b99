import sys

from mathft.cli import main

sys.exit(main())
