from hookreceiver.cli import main

raise SystemExit(main())
