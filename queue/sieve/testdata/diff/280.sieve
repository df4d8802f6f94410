# 280: reject without require is invalid
reject "no";
