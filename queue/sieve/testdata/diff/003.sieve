# 003: discard cancels the implicit keep
discard;
