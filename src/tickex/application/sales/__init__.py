"""Sales: buying and giving money back. Placing an order (price, hold inventory under the
guard, start a checkout), confirming its payment (convert the hold, issue tickets, book the
sale), cancelling, expiring holds and refunding; the order and checkout views."""
