# 334: test used as a command
true;
