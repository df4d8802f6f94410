# 322: unknown command inside a block
if true { keep; zap "x"; }
