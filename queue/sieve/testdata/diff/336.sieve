# 336: elsif without if
elsif true { keep; }
