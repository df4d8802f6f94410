# 338: if without a block
if true keep;
