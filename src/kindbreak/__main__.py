from kindbreak.cli import main

raise SystemExit(main())
