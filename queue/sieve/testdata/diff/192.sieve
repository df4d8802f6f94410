# 192: encoded-character invalid unicode code point is an error
require ["fileinto", "encoded-character"];
fileinto "${unicode:D800}";
