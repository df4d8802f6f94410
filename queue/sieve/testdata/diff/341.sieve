# 341: unbalanced braces
if true { keep;
