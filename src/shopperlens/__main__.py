from shopperlens.cli import main

main()
