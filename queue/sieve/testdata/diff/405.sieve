# 405: fileinto a UTF-8 mailbox name
require "fileinto";
fileinto "Ärger";
