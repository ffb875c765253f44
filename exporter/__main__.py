from exporter.entry import main

main()
