"""TM Forum Open APIs over simexit's own cases and lines: TMF622 orders, TMF637 products."""
