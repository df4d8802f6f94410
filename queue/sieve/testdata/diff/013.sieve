# 013: discard then keep: keep wins
discard;
keep;
