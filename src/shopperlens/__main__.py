from shopperlens._console import main

main()
