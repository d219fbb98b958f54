"""After-sales: withdrawals (zwroty) and complaints (reklamacje) with their Polish legal deadlines."""
