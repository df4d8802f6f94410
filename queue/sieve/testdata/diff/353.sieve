# 353: fileinto an empty mailbox name
require "fileinto";
fileinto "";
