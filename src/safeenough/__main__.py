from safeenough.cli import main

main()
