# 012: stop before actions
stop;
discard;
