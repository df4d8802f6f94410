# 330: redirect with no argument
redirect;
