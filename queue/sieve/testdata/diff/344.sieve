# 344: redirect to an invalid address
redirect "not an address";
