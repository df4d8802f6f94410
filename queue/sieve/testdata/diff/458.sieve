# 458: redirect to an address with a quoted local part
redirect "\"bob smith\"@example.org";
