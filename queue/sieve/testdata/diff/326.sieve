# 326: missing semicolon
keep
discard;
