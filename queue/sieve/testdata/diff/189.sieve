# 189: encoded-character case-insensitive name and several sequences
require ["fileinto", "encoded-character"];
fileinto "${HEX:4d}${Unicode:0065 0074}";
