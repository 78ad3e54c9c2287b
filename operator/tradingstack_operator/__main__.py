"""`python -m tradingstack_operator`: run the operator."""

from tradingstack_operator.main import main

main()
