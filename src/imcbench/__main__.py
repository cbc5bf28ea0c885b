from imcbench.cli import main

main()
