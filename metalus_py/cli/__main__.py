import sys

from metalus_py.cli.main import main

sys.exit(main())
