# 331: keep with an argument
keep "INBOX";
