from hezi.cli import main

main()
