# 491: two semicolons are invalid
keep;;
