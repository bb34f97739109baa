from postguard.cli import main

main()
