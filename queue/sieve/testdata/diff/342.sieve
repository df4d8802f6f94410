# 342: stop with an argument
stop "now";
